"""chartgen.verify.chart: see ARCHITECTURE.md."""
