"""What perso prints, by format. Decides nothing; imports neither boto3 nor click.

* describe.py   what every format says about a change, in plain words: sentence, reasons, impact, cost notes
* text.py       for people on a terminal or in a log (rich markup; user text always escaped)
* json.py       machine-readable documents (docs/perso-json.schema.json), errors included
* markdown.py   pull-request comments and $GITHUB_STEP_SUMMARY, under GitHub's size limit
"""
