"""The formal assessment by an assessment body (standard §4.4–4.7): application, expert team, plans,
evidence, independent ratings, consensus, rebuttal and publication."""
