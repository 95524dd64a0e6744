"""`python -m bot` is the same as the `baken` command."""

from bot.cli import main

raise SystemExit(main())
