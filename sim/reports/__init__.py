"""Results on disk and on screen: result files, plots, the HTML report, the workbook, comparisons, regression
baselines, progress bars."""
