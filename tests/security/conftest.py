"""Figures the security tests report at the end of a run."""

from tests.security.test_authz_matrix import FIGURES, UNAUDITED


def pytest_terminal_summary(terminalreporter) -> None:
    if not FIGURES:
        return
    cells = sum(f[1] for f in FIGURES)
    leaks = sum(f[2] for f in FIGURES)
    audited = sum(f[3] for f in FIGURES)
    expected = sum(f[4] for f in FIGURES)
    terminalreporter.write_line(
        f"authorization matrix: {cells} cells tested over {len(FIGURES)} roles, "
        f"{leaks} leaks; audited patient-data views: {audited}/{expected}"
    )
    if UNAUDITED:
        terminalreporter.write_line(
            "patient-data views without an audit row: " + ", ".join(sorted(UNAUDITED))
        )
