import sys

from quizkit.cli import main

sys.exit(main())
