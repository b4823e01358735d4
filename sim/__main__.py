"""`python -m sim ...`"""

from sim.cli import main_entry

main_entry()
