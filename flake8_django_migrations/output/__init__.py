"""What the command prints: the findings of ``check`` as text, JSON, SARIF or GitHub workflow commands, and the
migration graph. Each format is a module that turns a finished run into text; none of them runs a rule."""
