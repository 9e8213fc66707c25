"""Alembic's entry point for web's migrations: `cabinet-web migrate` runs them."""

from cabinet_common.migrations import run_env

run_env()
