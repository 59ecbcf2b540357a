"""Read queries for the service directory and referrals."""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from conference.cases.models import Case
from conference.directory.models import Service, ServiceReferral
from conference.extensions import db


def active_services(panel_id: int) -> Sequence[Service]:
    return db.session.scalars(
        sa.select(Service)
        .where(Service.panel_id == panel_id, Service.active.is_(True))
        .order_by(Service.kind, Service.name)
    ).all()


def referrals_for(case: Case) -> Sequence[ServiceReferral]:
    return db.session.scalars(
        sa.select(ServiceReferral)
        .where(ServiceReferral.case_id == case.id)
        .options(joinedload(ServiceReferral.service))
        .order_by(ServiceReferral.created_at.desc())
    ).all()
