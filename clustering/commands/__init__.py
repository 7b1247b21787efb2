"""Sub-commands of ``python -m clustering``; each module offers ``add_arguments`` and ``run``."""
