"""Every rule, per-file and project, one module per family; ``rule.py`` says what a rule is, ``shared.py`` holds the
helpers several families use.

Families: ``reversibility`` (DJM101-102), ``imports`` (DJM103), ``data`` (DJM104-105, DJM902-903, DJM906),
``schema`` (DJM201-208, DJM907: operations that break running code or lock tables), ``locks`` (DJM209-211, DJM213,
DJM905: PostgreSQL lock hazards), ``keys`` (DJM218: a primary key moved), ``raw_sql`` (DJM214-217: hazards only
raw SQL can express), ``deploy`` (DJM212,
DJM908: deploy phases and suppressions), ``dependencies`` (DJM301, DJM310), ``naming`` (DJM306, DJM901), ``graph``
(DJM302-305, DJM307-309, DJM311-312, DJM904), ``ordering`` (DJM401-403), ``history`` (DJM501-503: against the deployed
git revision), ``applied`` (DJM504-506, DJM909: against a database's applied migrations). ``registry`` collects
them; ``tests/test_rule_modules.py`` keeps these lists true.
"""
