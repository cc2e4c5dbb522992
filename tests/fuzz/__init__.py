"""Hostile-input tests: generated requests and bytes against every parser and document.

`RAPPORT_FUZZ_EXAMPLES` (requests per OpenAPI operation) and `RAPPORT_PROPERTY_EXAMPLES`
(hypothesis examples per property) are small by default; `make fuzz` raises both.
"""

import os

FUZZ_EXAMPLES = int(os.environ.get("RAPPORT_FUZZ_EXAMPLES", "2"))
PROPERTY_EXAMPLES = int(os.environ.get("RAPPORT_PROPERTY_EXAMPLES", "100"))
