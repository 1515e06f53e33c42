"""Set-up run in every kernel that executes a report (never in an analyst's own kernel).

:func:`reporting.execute_notebook` starts report kernels with
``--IPKernelApp.exec_lines`` calling :func:`configure`. It changes how figures are produced, not
what they show.
"""

from __future__ import annotations

import os

from matplotlib.figure import Figure

__all__ = ["alt_text", "configure", "register_alt_text"]

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
    register_alt_text(get_ipython())  # each chart's description becomes its image's alt text
    return True


def alt_text(fig: Figure) -> str:
    """A description of ``fig`` for the ``alt`` attribute of its image in a report.

    The figure's label (``fig.set_label``: the plotting functions that know more describe their
    figure there) wins; otherwise its suptitle, otherwise its axes' titles, otherwise its axis
    labels; ``""`` when it has none of them.

    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> ax = fig.add_subplot()
    >>> alt_text(fig)
    ''
    >>> _ = ax.set_xlabel("Year"), ax.set_ylabel("Persons employed")
    >>> alt_text(fig)
    'Chart: Persons employed by Year'
    >>> _ = ax.set_title("Employment in AT12", loc="left")
    >>> alt_text(fig)
    'Employment in AT12'
    >>> fig.set_label("Line chart of employment in AT12, 2010-2022: it grows by a fifth.")
    >>> alt_text(fig)
    'Line chart of employment in AT12, 2010-2022: it grows by a fifth.'
    """
    label = (fig.get_label() or "").strip()
    if label:
        return label
    if suptitle := fig.get_suptitle().strip():
        return suptitle
    titles = [t for ax in fig.axes for loc in ("left", "center", "right") if (t := ax.get_title(loc=loc).strip())]
    if titles:
        return "; ".join(dict.fromkeys(titles))
    labels = []
    for ax in fig.axes:
        x, y = ax.get_xlabel().strip(), ax.get_ylabel().strip()
        if x or y:
            labels.append(f"Chart: {y} by {x}" if x and y else f"Chart: {x or y}")
    return "; ".join(dict.fromkeys(labels))


def register_alt_text(shell) -> bool:
    """Give every matplotlib figure that ``shell`` (an IPython shell) shows as PNG its :func:`alt_text`.

    The PNG output then carries ``{"image/png": {"alt": ...}}`` in its metadata, which the report
    template writes into the ``<img>`` tag. Call it after the inline backend is set up (it wraps the
    PNG printer the backend registered). Returns ``False`` when there is no such printer (nothing
    changed); calling it again changes nothing.
    """
    formatter = shell.display_formatter.formatters["image/png"]
    try:
        printer = formatter.lookup_by_type(Figure)
    except KeyError:
        return False
    if getattr(printer, "_clusterix_alt", False):
        return True

    def png_with_alt(fig):
        data = printer(fig)
        text = alt_text(fig)
        if data is None or not text:
            return data
        data, metadata = data if isinstance(data, tuple) else (data, None)
        return data, {**(metadata or {}), "alt": text}

    png_with_alt._clusterix_alt = True
    formatter.for_type(Figure, png_with_alt)
    return True
