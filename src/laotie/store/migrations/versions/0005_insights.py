"""insights tables: team watch-time programme and the worker's job schedule

Revision ID: 0005_insights
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_insights"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("insights",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "insights_orgs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insights_orgs")),
        sa.UniqueConstraint("external_id", name=op.f("uq_insights_orgs_external_id")),
    )
    op.create_table(
        "insights_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("daily_goal_minutes", sa.Integer(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["insights_orgs.id"], name=op.f("fk_insights_teams_org_id_insights_orgs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insights_teams")),
        sa.UniqueConstraint("external_id", name=op.f("uq_insights_teams_external_id")),
    )
    op.create_table(
        "insights_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("opted_out_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["insights_teams.id"],
            name=op.f("fk_insights_members_team_id_insights_teams"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_insights_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insights_members")),
        sa.UniqueConstraint(
            "team_id", "user_id", "role", name="uq_insights_members_team_user_role"
        ),
    )
    op.create_index("ix_insights_members_user", "insights_members", ["user_id"])
    op.create_table(
        "insights_consent_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["insights_members.id"],
            name=op.f("fk_insights_consent_log_member_id_insights_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insights_consent_log")),
    )
    op.create_index("ix_insights_consent_log_member_id", "insights_consent_log", ["member_id"])
    op.create_table(
        "insights_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("manager_member_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sent_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["insights_teams.id"],
            name=op.f("fk_insights_digests_team_id_insights_teams"),
        ),
        sa.ForeignKeyConstraint(
            ["manager_member_id"],
            ["insights_members.id"],
            name=op.f("fk_insights_digests_manager_member_id_insights_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insights_digests")),
        sa.UniqueConstraint("manager_member_id", "day", name="uq_insights_digests_manager_day"),
    )
    op.create_table(
        "insights_jobs",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_due_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_started_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_finished_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_status", sa.String(length=16), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_insights_jobs")),
    )


def downgrade() -> None:
    op.drop_table("insights_jobs")
    op.drop_table("insights_digests")
    op.drop_index("ix_insights_consent_log_member_id", table_name="insights_consent_log")
    op.drop_table("insights_consent_log")
    op.drop_index("ix_insights_members_user", table_name="insights_members")
    op.drop_table("insights_members")
    op.drop_table("insights_teams")
    op.drop_table("insights_orgs")
