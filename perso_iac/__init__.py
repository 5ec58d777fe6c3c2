"""perso: infrastructure as code for Amazon Personalize."""

__version__ = "0.1.0"
