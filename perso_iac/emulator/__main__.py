"""``python -m perso_iac.emulator --port 4599``"""

from .command import emulator_command

if __name__ == "__main__":  # pragma: no cover
    emulator_command(prog_name="python -m perso_iac.emulator")
