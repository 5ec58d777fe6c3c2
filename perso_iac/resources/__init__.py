"""One adapter per Personalize resource type, behind the contract in `base`."""
