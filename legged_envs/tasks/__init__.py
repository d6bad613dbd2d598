"""Tasks: term functions plus a YAML that picks and weighs them."""
