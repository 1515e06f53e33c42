"""clusterix: regional profiling and policy-learning indicators for Interreg-style consortia.

The library computes; the notebooks in ``notebooks/`` narrate. Public modules:

- :mod:`clusterix_lib.eurostat` -- read Eurostat bulk TSV and SDMX-CSV, download by dataset code
- :mod:`clusterix_lib.nuts` -- NUTS codes, names, levels and version conversion
- :mod:`clusterix_lib.specialisation` -- location quotients and related measures
- :mod:`clusterix_lib.consortium` -- the partners of a consortium, as data
- :mod:`clusterix_lib.datasets` -- the embedded default data extracts under ``data/``
- :mod:`clusterix_lib.reporting` -- papermill execution, records, HTML export
- :mod:`clusterix_lib.batch` -- the parallel report batch and its index page
- :mod:`clusterix_lib.site` -- the index page: filters, search, downloads
- :mod:`clusterix_lib.manifest` -- incremental builds (what each report was built from)
- :mod:`clusterix_lib.confidentiality` -- record levels (public/consortium/restricted) and ``visible()``
- :mod:`clusterix_lib.dask_runner` -- report batches on a Dask distributed cluster
- :mod:`clusterix_lib.kernel_fork` -- report kernels forked from a warm template
"""

from clusterix_lib._version import __version__

__all__ = ["__version__"]
