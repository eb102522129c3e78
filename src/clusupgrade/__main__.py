"""python -m clusupgrade"""

import sys

from .cli import main

sys.exit(main())
