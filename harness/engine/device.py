"""Where a stage computes: the GPU when present, else the CPU with a chosen number of threads."""


def select_device(threads: int | None) -> str:
    """Limit torch's CPU threads (Snakemake passes the job's share) and return "cuda" or "cpu"."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    return "cuda" if torch.cuda.is_available() else "cpu"
