"""One module per pipeline stage, named like its Snakemake rule file in ``workflow/rules/``.

Each stage module exposes ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> None``.
Stages take every path from the command line: Snakemake owns the paths.
"""
