"""What perso prints, by format. Decides nothing; imports neither boto3 nor click.

* describe.py   what every format says about a change: its sentence, its diff lines, cost notes
* text.py       for people on a terminal or in a log (rich markup; user text always escaped)
* json.py       machine-readable documents (docs/perso-json.schema.json), errors included
* markdown.py   pull-request comments and $GITHUB_STEP_SUMMARY, under GitHub's size limit

Text and markdown both render the same `describe.DiffLine`s, so neither re-parses the other.
"""
