"""Set-up run in every kernel that executes a report (never in an analyst's own kernel).

:func:`reporting.execute_notebook` starts report kernels with
``--IPKernelApp.exec_lines`` calling :func:`configure`. It changes how figures are produced, not
what they show.
"""

from __future__ import annotations

import os

__all__ = ["configure"]

INLINE = ("inline", "module://matplotlib_inline.backend_inline")


def configure() -> bool:
    """Draw every matplotlib figure of a report once instead of twice.

    In an IPython kernel with the inline backend two ``post_execute`` hooks run after each cell:
    matplotlib's ``_draw_all_if_interactive`` renders every new (stale) figure on its Agg canvas,
    then matplotlib-inline's ``flush_figures`` renders it again into the PNG that becomes the
    output. The first drawing is never seen (an inline canvas is not a window), yet it costs as
    much as the second: about 0.1-0.2 s per figure, a third of a regional profile's run time.
    This loads the inline backend now (as the first figure would) and removes matplotlib's hook;
    ``flush_figures`` still shows every figure, so the outputs are the same.

    Returns ``True`` if the hook was removed, ``False`` when the kernel does not use the inline
    backend (nothing is changed then).

    Examples
    --------
    Outside IPython nothing happens:

    >>> import os
    >>> os.environ.get("MPLBACKEND", "").endswith("backend_inline") or configure() is False
    True
    """
    backend = os.environ.get("MPLBACKEND", "")
    if backend not in INLINE:
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    if get_ipython() is None:
        return False
    import matplotlib.pyplot as plt

    plt.switch_backend(backend)  # imports matplotlib-inline: flush_figures and matplotlib's hook
    plt.uninstall_repl_displayhook()
    from clusterix_lib.plotting import register_alt_text

    register_alt_text(get_ipython())  # each chart's description becomes its image's alt text
    return True
