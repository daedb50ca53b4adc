"""``python -m cnncalc``."""

from cnncalc.cli import main

if __name__ == "__main__":
    main()
