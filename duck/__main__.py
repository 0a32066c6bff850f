"""``python -m duck`` runs the command line, like the ``duck`` console script."""

from duck.cli import main

raise SystemExit(main())
