# Config loading and validation, path templates, and the targets of `rule all`.
# Every result path of the pipeline is spelled here or in a rule, never in harness code.
import sys

from snakemake.exceptions import WorkflowError

from harness.config import validate_config
from harness.errors import InputError

DEFAULT_PROFILE = "configs/profiles/default.yaml"

if not config:

    configfile: DEFAULT_PROFILE


try:
    validate_config(config, f"profile {config.get('profile', '?')!r} (--configfile)")
except InputError as err:
    raise WorkflowError(f"invalid config: {err}")

PROFILE = config["profile"]
RESULTS = f"results/{PROFILE}"
HARNESS = f"{sys.executable} -m harness"  # the interpreter running Snakemake (.venv)

wildcard_constraints:
    layout="[a-z0-9_]+",


def all_targets():
    """Every final output of the stages that exist so far."""
    return expand(f"{RESULTS}/groups/{{layout}}.json", layout=config["bags"]["group_layouts"])
