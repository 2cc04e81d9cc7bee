"""What a run says: its counts (``tally``), the lines it prints (``logs``, ``logtext``,
``progress``) and the summary at its end, with what makes it fail (``extensions``)."""
