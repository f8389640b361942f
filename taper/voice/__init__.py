"""One voice: the only place that turns plan records into words a patient, a pharmacist or a
nurse reads — times, dates, tablet phrases, sigs, dose lines, counselling.

The handouts, the text table, the reminders, the watch list and the web page all call these
functions and only arrange the strings they get back; none of them assembles a sentence. The
modules know nothing of pages or HTML: where a word is stressed they return ``Rich`` text, a
tuple of plain ``str`` and ``Strong`` pieces, which each output draws its own way.

- ``words``: ``Words``, the patient's language, clock (12- or 24-hour), blood-sugar unit and
  country, chosen once per plan (``words_of``) from ``[patient] language`` and the zone
- ``times``: clock times (``midnight``, ``noon``), dates and spans of days
- ``doses``: tablet phrases, a dose at a glance, a phase heading, the patient's dose lines,
  and each dose's instructions (``plan.json`` and the reminders ask for them: the plan
  carries numbers and keys, no sentences)
- ``sigs``: the pharmacy label directions
- ``people``: the patient, the care team and the course line
- ``overview``: the patient handout's overview, calendar, checklist and watch-list tiers
- ``staff``: the pharmacist's and the nurse's tables
- ``counselling``: the patient's notes, the must-have counselling (``data/counselling.toml``)
  and the pharmacist's counselling points
- ``watchwords``: the values the watch list's sentences take from the plan
- ``labels``: the handouts' fixed titles, headings and column heads
- ``reminders``: the calendar's words (``reminders.ics``): titles, descriptions, its name
- ``console``: what the commands print: ``taper plan``'s table, ``taper check``'s summary and
  warnings, ``taper watch``'s list
- ``text``: lists, counts and emphasis, and ``plain_text``: the handouts keep "8:00 AM" on one
  line with a no-break space; plain-text outputs (.ics, terminal, JSON) get ordinary spaces
- ``amounts``: per-weight arithmetic and caps, body surface area, dose packs, fill periods
"""
