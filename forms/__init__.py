"""The focal points' web forms: /f/TOKEN, no account, no JavaScript."""
