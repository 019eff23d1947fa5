"""pyz3/__main__.py: ``python -m pyz3`` is the ``pyz3-loader`` command."""

import sys

from pyz3.cli import main

sys.exit(main())
