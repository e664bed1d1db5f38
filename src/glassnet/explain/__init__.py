"""What a person reads, computed from what the core returned: the formulas of a step (``formulas``), its
rendering for the terminal and HTML (``render``), write-ups (``writeup``), one row's explanation
(``rowexplain``), where a network's neurons go and its pictures (``layout``, ``drawing``), training plots
(``plots``) and the notebook view (``notebook``)."""
