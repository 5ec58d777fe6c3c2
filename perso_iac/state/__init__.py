"""perso's state: which AWS resources it manages, and what it last applied to them."""
