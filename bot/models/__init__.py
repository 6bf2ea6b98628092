"""Data model. One module per capability; `load_all()` imports them so that the metadata
(used by Alembic and by the tests' schema check) knows every table."""

from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import MetaData
from sqlmodel import SQLModel


def load_all() -> MetaData:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return SQLModel.metadata
