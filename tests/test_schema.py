"""The schema: classification of every column, migrations in step with the models, types."""

import inspect
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm.exc import StaleDataError

from conference.cases.models import Case
from conference.cases.services import allocate_reference
from conference.db import Classification, classification_of
from conference.extensions import db
from tests import factories
from tests.factories import CaseFactory, MembershipFactory, PanelFactory, UserFactory

ALLOWED = {c.value for c in Classification}


def test_every_column_declares_a_classification() -> None:
    missing = [
        f"{table.name}.{column.name}"
        for table in db.metadata.sorted_tables
        if table.name != "alembic_version"
        for column in table.columns
        if classification_of(column) not in ALLOWED
    ]
    assert missing == [], f"columns without a classification: {missing}"


def test_subject_identity_and_referral_narrative_are_restricted() -> None:
    tables = db.metadata.tables
    for table, column in [
        ("subject", "full_name"),
        ("subject", "date_of_birth"),
        ("subject", "address"),
        ("guardian", "name"),
        ("referral", "narrative"),
        ("case_note", "text"),
    ]:
        assert classification_of(tables[table].c[column]) == "restricted", f"{table}.{column}"


def test_migrations_create_exactly_the_models() -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_every_model_has_a_factory() -> None:
    factory_models = {
        cls._meta.model
        for _, cls in inspect.getmembers(factories, inspect.isclass)
        if issubclass(cls, factories.Base) and cls is not factories.Base
    }
    models = {mapper.class_ for mapper in db.Model.registry.mappers}
    assert models - factory_models == set()


@pytest.mark.parametrize(
    "factory",
    [
        cls
        for _, cls in inspect.getmembers(factories, inspect.isclass)
        if issubclass(cls, factories.Base) and cls is not factories.Base
    ],
    ids=lambda cls: cls.__name__,
)
def test_each_factory_writes_a_valid_row(factory: type) -> None:
    obj = factory()
    db.session.commit()
    assert obj.id is not None


def test_datetimes_are_stored_in_utc_and_come_back_aware() -> None:
    amsterdam = datetime(2026, 7, 1, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    case = CaseFactory(referred_at=amsterdam)
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.get(Case, case.id)
    assert loaded.referred_at == amsterdam
    assert loaded.referred_at.utcoffset().total_seconds() == 0
    assert loaded.referred_at.hour == 8


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        CaseFactory(referred_at=datetime(2026, 7, 1, 10, 0))


def test_two_cases_cannot_share_a_reference() -> None:
    panel = PanelFactory()
    CaseFactory(panel=panel, reference="X-2026-0001", ref_number=1)
    with pytest.raises(IntegrityError):
        CaseFactory(panel=panel, reference="X-2026-0001", ref_number=2)


def test_two_cases_cannot_share_a_number_in_the_same_panel_and_year() -> None:
    panel = PanelFactory()
    CaseFactory(panel=panel, reference="X-2026-0001", ref_number=1)
    with pytest.raises(IntegrityError):
        CaseFactory(panel=panel, reference="X-2026-0001b", ref_number=1)


def test_an_unknown_enum_value_is_refused() -> None:
    case = CaseFactory()
    db.session.commit()
    with pytest.raises(StatementError):
        db.session.execute(sa.update(Case).where(Case.id == case.id).values(status="lost"))


def test_a_stale_case_edit_is_detected() -> None:
    case = CaseFactory()
    db.session.commit()
    # Another editor saves first: the version moves on under our feet.
    db.session.execute(
        sa.text("UPDATE case_file SET version_id = version_id + 1 WHERE id = :id"), {"id": case.id}
    )
    case.next_review_on = factories.TODAY
    with pytest.raises(StaleDataError):
        db.session.flush()


def test_references_are_numbered_per_panel_and_year() -> None:
    riverton, northvale = PanelFactory(code="RVT"), PanelFactory(code="NVA")
    allocated = [
        allocate_reference(riverton, 2026)[0],
        allocate_reference(riverton, 2026)[0],
        allocate_reference(northvale, 2026)[0],
        allocate_reference(riverton, 2027)[0],
    ]
    assert allocated == ["RVT-2026-0001", "RVT-2026-0002", "NVA-2026-0001", "RVT-2027-0001"]


def test_a_membership_is_unique_per_start_date() -> None:
    membership = MembershipFactory()
    with pytest.raises(IntegrityError):
        MembershipFactory(panel=membership.panel, user=membership.user, since=membership.since)


def test_a_user_email_is_unique() -> None:
    UserFactory(email="same@example.test")
    with pytest.raises(IntegrityError):
        UserFactory(email="same@example.test")
