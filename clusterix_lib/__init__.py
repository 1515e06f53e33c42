"""clusterix: regional profiling and policy-learning indicators for Interreg-style consortia.

The library computes; the notebooks in ``notebooks/`` narrate. Public modules:

- :mod:`clusterix_lib.eurostat` -- read Eurostat bulk TSV and SDMX-CSV, download by dataset code
- :mod:`clusterix_lib.nuts` -- NUTS codes, names, levels and version conversion
- :mod:`clusterix_lib.specialisation` -- location quotients and related measures
- :mod:`clusterix_lib.consortium` -- the partners of a consortium, as data
- :mod:`clusterix_lib.datasets` -- the embedded default data extracts under ``data/``
- :mod:`clusterix_lib.reporting` -- papermill execution, records, HTML export
- :mod:`clusterix_lib.batch` -- the parallel report batch and its index page
"""

from clusterix_lib._version import __version__

__all__ = ["__version__"]
