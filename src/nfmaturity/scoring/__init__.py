"""The exact scoring engine: pure, no Django, no I/O (standard-notes §2).

* ``aggregate.score(catalog, ratings, na_reasons=…, allow_unrated=…) -> model.ScoreResult`` — formulas (1)–(3);
  ``aggregate.check_ratings`` lists every input problem without scoring.
* ``grading`` — the 0.8 threshold, Table 3 bands, total, consecutive level, 等级跳跃 warning.
* ``explain.explain(result)`` — the per-requirement trace; ``explain.render_explanation`` as Chinese text.
* ``gaps.find_gaps(result, target=None)`` — what holds the assessment back from the next grade.
* ``planner.plan(result, target=None, effort=None)`` — the least-effort raises reaching a grade, plus a ranking.
* ``consensus.propose(votes)`` — the proposed team rating from several experts.
* ``display`` — truncated figures for people, 12-decimal strings for machines.
* ``errors`` — one exception class per failure kind, Chinese messages.
"""
