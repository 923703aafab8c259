"""Compare: many Measurements as tables, one per label, laid out like PyTorch's

    [------ label ------]
                  |  description 1  |  description 2
    1 threads: ---------------------------------------
          sub_label   |        ...        |       ...

with a row group per thread count, a row per (env, sub_label) and a column per description.
"""
import enum
import math

from ember.utils.benchmark.utils import common

__all__ = ["Colorize", "Compare"]

BEST = "\033[92m"
GOOD = "\033[34m"
BAD = "\033[2m\033[91m"
VERY_BAD = "\033[31m"
BOLD = "\033[1m"
TERMINATE = "\033[0m"


class Colorize(enum.Enum):
    NONE = "none"
    COLUMNWISE = "columnwise"
    ROWWISE = "rowwise"


def _color(cell, value, best):
    """Green within 1% (or 100 ns) of the best, blue within 10%, dim red at 2x, red at 5x."""
    if value <= best * 1.01 or value <= best + 100e-9:
        return BEST + BOLD + cell + TERMINATE * 2
    if value <= best * 1.1:
        return GOOD + BOLD + cell + TERMINATE * 2
    if value >= best * 5:
        return VERY_BAD + BOLD + cell + TERMINATE * 2
    if value >= best * 2:
        return BAD + cell + TERMINATE * 2
    return cell


class _Column:
    """Number formatting shared by a column: as many integer digits as its largest value
    and one decimal, or (trimmed) only the digits every entry's precision supports."""

    def __init__(self, measurements, scale, trim, highlight):
        self.trim = trim
        self.highlight = highlight and any(m.has_warnings for m in measurements)
        digits = [(math.ceil(math.log10(m.median / scale)), m) for m in measurements]
        decimals = min(max(m.significant_figures - d, 0) for d, m in digits) if trim else 1
        width = max(d for d, _ in digits) + decimals + (1 if decimals else 0)
        self.template = f"{{:>{width}.{decimals}f}}{{:>{7 if self.highlight else 0}}}"

    def cell(self, m, scale):
        if m is None:
            return " " * len(self.template.format(1.0, ""))
        value = m.median / scale
        if self.trim:
            value = common.trim_sigfig(value, m.significant_figures)
        spread = f" (! {m.iqr / m.median * 100:.0f}%)" if self.highlight and m.has_warnings \
            else ""
        return self.template.format(value, spread)


class Table:
    """The results sharing one label."""

    def __init__(self, results, colorize, trim_significant_figures, highlight_warnings):
        if len({r.label for r in results}) != 1:
            raise AssertionError("All results must share the same label")
        self.results = results
        self.label = results[0].label
        self.colorize = colorize
        self.highlight = highlight_warnings
        self.time_unit, self.time_scale = common.select_unit(min(r.median for r in results))
        # rows: by thread count, then env (stable: sub_labels keep their order)
        self.row_keys = sorted(common.ordered_unique(self.row_fn(r) for r in results),
                               key=lambda k: (k[0], k[1] or ""))
        self.column_keys = common.ordered_unique(r.description for r in results)
        rows = {k: i for i, k in enumerate(self.row_keys)}
        cols = {k: j for j, k in enumerate(self.column_keys)}
        self.grid = [[None] * len(self.column_keys) for _ in self.row_keys]
        for r in results:
            self.grid[rows[self.row_fn(r)]][cols[r.description]] = r
        self.columns = [_Column([row[j] for row in self.grid if row[j] is not None],
                                self.time_scale, trim_significant_figures, highlight_warnings)
                        for j in range(len(self.column_keys))]

    @staticmethod
    def row_fn(m):
        return m.num_threads, m.env, m.as_row_name

    def _row_cells(self, show_env, env_width):
        """The text of each row; the env is shown on the first row of each env run."""
        cells, prior = [], (None, "")
        for (threads, env, name), row in zip(self.row_keys, self.grid):
            shown = f"({env})" if show_env and (threads, env) != prior else ""
            prior = (threads, env)
            cells.append(["  " + shown.ljust(env_width + 4) + name] +
                         [col.cell(m, self.time_scale) for col, m in zip(self.columns, row)])
        return cells

    def _best(self, i):
        """The median each cell of row i is colored against."""
        row = self.grid[i]
        if self.colorize == Colorize.ROWWISE:
            return [min(m.median for m in row if m is not None)] * len(row)
        threads = self.row_keys[i][0]
        group = [r for k, r in zip(self.row_keys, self.grid) if k[0] == threads]
        return [min((r[j].median for r in group if r[j] is not None), default=None)
                for j in range(len(row))]

    def render(self):
        envs = {r.env for r in self.results}
        show_env = len(envs) > 1
        env_width = max(len(e) for e in envs) if show_env else 0
        # NOTE: PyTorch fails (TypeError) when a measurement has no description; ember
        # leaves that column's header empty
        header = [""] + ["" if k is None else k for k in self.column_keys]
        body = self._row_cells(show_env, env_width)
        widths = [max(len(c) for c in col) for col in zip(header, *body)]
        lines = ["  |  ".join(c.center(w) for c, w in zip(header, widths))]
        width = len(lines[0])
        prior_threads = None
        for i, cells in enumerate(body):
            threads = self.row_keys[i][0]
            if threads != prior_threads:
                lines.append(f"{threads} threads: ".ljust(width, "-"))
                prior_threads = threads
            out = [cells[0].ljust(widths[0])]
            best = self._best(i) if self.colorize != Colorize.NONE else ()
            for j, (c, w) in enumerate(zip(cells[1:], widths[1:])):
                c = c.center(w)
                m = self.grid[i][j]
                if best and m is not None and best[j] is not None:
                    c = _color(c, m.median, best[j])
                out.append(c)
            lines.append("  |  ".join(out))
        title = f" {self.label or ''} ".center(width - 2, "-")
        warn = ""
        if self.highlight and any(r.has_warnings for r in self.results):
            warn = "(! XX%) Measurement has high variance, where XX is the IQR / median * 100.\n"
        unit = self.time_unit
        return (f"[{title}]\n" + "\n".join(lines) +
                f"\n\nTimes are in {common.unit_to_english(unit)}s ({unit}).\n{warn}")


class Compare:
    """Print many measurements as tables: one per label, a column per description, a row
    per sub_label (and env) in groups by thread count. Replicates of a task are pooled.

    >>> Compare([Timer("x + 1", "x = torch.ones(4)", label="add").timeit(10)]).print()
    ... # doctest: +SKIP
    """

    def __init__(self, results):
        self._results = []
        self.extend_results(results)
        self._trim_significant_figures = False
        self._colorize = Colorize.NONE
        self._highlight_warnings = False

    def __str__(self):
        return "\n".join(self._render())

    def extend_results(self, results):
        """Append more Measurements."""
        for r in results:
            if not isinstance(r, common.Measurement):
                raise ValueError(f"Expected an instance of `Measurement`, got {type(r)} "
                                 "instead.")
        self._results.extend(results)

    def trim_significant_figures(self):
        """Show only the digits each measurement's spread supports."""
        self._trim_significant_figures = True

    def colorize(self, rowwise=False):
        """Color each time against the best of its column (within a thread group), or of
        its row with rowwise=True."""
        self._colorize = Colorize.ROWWISE if rowwise else Colorize.COLUMNWISE

    def highlight_warnings(self):
        """Mark times whose IQR is large with `(! XX%)`."""
        self._highlight_warnings = True

    def print(self):
        print(str(self))

    def _render(self):
        by_label = {}
        for r in common.Measurement.merge(self._results):
            by_label.setdefault(r.label, []).append(r)
        return [Table(group, self._colorize, self._trim_significant_figures,
                      self._highlight_warnings).render() for group in by_label.values()]
