"""The record a panel can trust: the archive of signed minutes in the database, one meeting per
panel and start, one progress report per case and meeting, the sitting recorded with case status
decisions and service referrals (and each referral step), submit-once tokens for create forms.

The archived files are moved from EXPORTS_DIR into the database and checked against their hashes
on the way; a missing or changed file stops the upgrade with its name (restore it from a backup
and run the upgrade again). Duplicate meetings or progress reports stop it likewise: they must be
resolved by hand before the unique constraints can hold.

Revision ID: eb09af9436ea
Revises: debf93a85e9d
Create Date: 2026-11-30 15:07:27.657831

"""
import hashlib
from pathlib import Path

from alembic import op
import sqlalchemy as sa
from flask import current_app


# revision identifiers, used by Alembic.
revision = 'eb09af9436ea'
down_revision = 'debf93a85e9d'
branch_labels = None
depends_on = None


def _refuse_duplicates(table: str, columns: str) -> None:
    rows = op.get_bind().execute(
        sa.text(
            f"SELECT {columns}, COUNT(*) FROM {table} GROUP BY {columns} HAVING COUNT(*) > 1"
        )
    ).all()
    if rows:
        listed = "; ".join(", ".join(str(v) for v in row[:-1]) for row in rows[:20])
        raise RuntimeError(
            f"{table} has rows that repeat ({columns}): {listed}. Resolve them (keep one of "
            "each) before upgrading; the new unique constraint cannot hold otherwise."
        )


def _exports_dir() -> Path:
    return Path(current_app.config["EXPORTS_DIR"])


def upgrade():
    _refuse_duplicates("meeting", "panel_id, starts_at")
    _refuse_duplicates("progress_report", "case_id, meeting_id")
    op.create_table('form_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('result_url', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_form_submission_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_submission')),
    sa.UniqueConstraint('token', name=op.f('uq_form_submission_token'))
    )
    op.create_table('service_referral_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.Enum('proposed', 'consent_sought', 'referred', 'accepted', 'declined', 'completed', name='servicereferralstatus', native_enum=False, length=40), nullable=True),
    sa.Column('to_status', sa.Enum('proposed', 'consent_sought', 'referred', 'accepted', 'declined', 'completed', name='servicereferralstatus', native_enum=False, length=40), nullable=False),
    sa.Column('legal_basis', sa.Enum('consent', 'legal_obligation', 'vital_interests', 'public_task', 'law_enforcement', name='legalbasis', native_enum=False, length=40), nullable=True),
    sa.Column('consent_id', sa.Integer(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['user_account.id'], name=op.f('fk_service_referral_step_by_id_user_account')),
    sa.ForeignKeyConstraint(['consent_id'], ['consent_record.id'], name=op.f('fk_service_referral_step_consent_id_consent_record')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_service_referral_step_meeting_id_meeting')),
    sa.ForeignKeyConstraint(['referral_id'], ['service_referral.id'], name=op.f('fk_service_referral_step_referral_id_service_referral'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_referral_step'))
    )
    with op.batch_alter_table('service_referral_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_referral_step_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_referral_step_referral_id'), ['referral_id'], unique=False)

    with op.batch_alter_table('archived_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.Enum('minutes', 'extract', 'manifest', name='archivedfilekind', native_enum=False, length=40), server_default='minutes', nullable=False))
        batch_op.add_column(sa.Column('body', sa.LargeBinary(), nullable=True))

    with op.batch_alter_table('case_status_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meeting_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_case_status_change_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_case_status_change_meeting_id_meeting'), 'meeting', ['meeting_id'], ['id'])

    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_meeting_panel_id_starts_at'), ['panel_id', 'starts_at'])

    with op.batch_alter_table('progress_report', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_progress_report_case_id_meeting_id'), ['case_id', 'meeting_id'])

    with op.batch_alter_table('service_referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meeting_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_service_referral_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_service_referral_meeting_id_meeting'), 'meeting', ['meeting_id'], ['id'])

    _archive_into_database()


def _archive_into_database() -> None:
    """Each archived file's bytes from EXPORTS_DIR into its row, checked against its hash."""
    bind = op.get_bind()
    files = sa.table(
        "archived_file",
        sa.column("id", sa.Integer),
        sa.column("agency_id", sa.Integer),
        sa.column("path", sa.String),
        sa.column("sha256", sa.String),
        sa.column("kind", sa.String),
        sa.column("body", sa.LargeBinary),
    )
    root = _exports_dir()
    problems = []
    for row in bind.execute(sa.select(files.c.id, files.c.agency_id, files.c.path, files.c.sha256)):
        path = root / row.path
        if not path.is_file():
            problems.append(f"missing: {path}")
            continue
        body = path.read_bytes()
        if hashlib.sha256(body).hexdigest() != row.sha256:
            problems.append(f"changed: {path}")
            continue
        kind = (
            "manifest"
            if row.path.endswith(".manifest.json")
            else "extract" if row.agency_id is not None else "minutes"
        )
        bind.execute(files.update().where(files.c.id == row.id).values(body=body, kind=kind))
    if problems:
        raise RuntimeError(
            "The archive of signed minutes could not be moved into the database; restore these "
            "files from a backup into EXPORTS_DIR and upgrade again: " + "; ".join(problems)
        )


def _archive_back_to_files() -> None:
    """Downgrading: the archive's bytes go back to EXPORTS_DIR, where the old version reads them."""
    bind = op.get_bind()
    root = _exports_dir()
    rows = bind.execute(sa.text("SELECT path, body FROM archived_file WHERE body IS NOT NULL"))
    for path, body in rows:
        target = root / path
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)


def downgrade():
    _archive_back_to_files()
    with op.batch_alter_table('service_referral', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_service_referral_meeting_id_meeting'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_service_referral_meeting_id'))
        batch_op.drop_column('meeting_id')

    with op.batch_alter_table('progress_report', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_progress_report_case_id_meeting_id'), type_='unique')

    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_meeting_panel_id_starts_at'), type_='unique')

    with op.batch_alter_table('case_status_change', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_status_change_meeting_id_meeting'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_case_status_change_meeting_id'))
        batch_op.drop_column('meeting_id')

    with op.batch_alter_table('archived_file', schema=None) as batch_op:
        batch_op.drop_column('body')
        batch_op.drop_column('kind')

    with op.batch_alter_table('service_referral_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_referral_step_referral_id'))
        batch_op.drop_index(batch_op.f('ix_service_referral_step_meeting_id'))

    op.drop_table('service_referral_step')
    op.drop_table('form_submission')
