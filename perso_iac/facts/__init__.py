"""What Amazon Personalize accepts, written down once.

Pure data and pure functions (no AWS client, no CLI, no I/O), shared by the spec validator
(`perso_iac.spec`) and the local emulator (`perso_iac.emulator`) so that `perso validate` accepts
exactly what the emulator, and AWS, accept:

- `avro`: dataset types, the Avro schema rules in general and per dataset type, schema updates.
- `recipes`: the built-in recipe catalogue (custom recipes and domain use cases).
- `filters`: the filter-expression grammar and CreateFilter's rules.
- `solutions`: CreateSolution's rules: AutoML, HPO limits, each recipe's hyperparameters.
- `metrics`: metric attribution expressions. `imports`: import modes.
- `spelling`: did-you-mean for the names above.

This package must not import from `perso_iac.spec` or `perso_iac.emulator`.
"""
