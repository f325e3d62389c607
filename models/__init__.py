"""Data, not code: present so that this folder ships inside the wheel as review._models (see pyproject.toml)."""
