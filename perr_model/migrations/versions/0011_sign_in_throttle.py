"""sign_in_throttle and user_account.login: a sign-in throttle that cannot be jammed, names
matched the same way on both backends (issue 28, items 2 and 7)

`sign_in_throttle`: one row per count of failed sign-ins (an account, a client), locked by the
attempt that reads it (perr_model/throttle.py). `user_account.login`: the account's name
NFC-normalised and case-folded in Python (perr_model/login_names.py), unique; filled here for
the accounts that exist. No data-version trigger: no figure reads either.

Revision ID: 0011_sign_in_throttle
Revises: 0009_session_token
"""
from alembic import op
import sqlalchemy as sa

revision = "0011_sign_in_throttle"
down_revision = "0010_contrat_generations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from perr_model.login_names import login_key
    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=True),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_throttle")),
    )
    op.add_column("user_account", sa.Column("login", sa.String(120), nullable=True))
    conn = op.get_bind()
    accounts = sa.table("user_account", sa.column("id"), sa.column("username"),
                        sa.column("login"))
    for account_id, username in conn.execute(sa.select(accounts.c.id, accounts.c.username)):
        conn.execute(accounts.update().where(accounts.c.id == account_id)
                     .values(login=login_key(username)))
    op.create_index(op.f("ix_user_account_login"), "user_account", ["login"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_user_account_login"), table_name="user_account")
    # plain ALTER (SQLite 3.35+): a batch copy of user_account would cascade-delete its links
    op.execute("ALTER TABLE user_account DROP COLUMN login")
    op.drop_table("sign_in_throttle")
