"""Analyses from the research behind the atlas: attribute prediction, lineage inference, families,
trait drift, trends, charts and the HTML report."""
