"""From runs to numbers: replications, facts per interval, estimators with confidence intervals, KPI summaries, risk
over days and intervals, analytic twins and scenario comparisons."""
