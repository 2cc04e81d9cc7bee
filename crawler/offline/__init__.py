"""What is done from what the archive keeps, with no network: posts made again from the
raw captures (``rebuild``), an article's versions (``versions``), and the fidelity report
(``fidelity``) with the blog's Markdown renderer (``kramdown``)."""
