"""clusupgrade as a Salt extension.

Salt finds this package through the ``salt.loader`` entry point in
pyproject.toml: it looks for the sub-directories ``modules`` (execution
modules) and ``states`` (state modules) here and loads every public file in
them as a loader module.  Those two files are thin: they take what Salt
injects (``__opts__``, ``__salt__``, ``__grains__``, ``__pillar__``,
``__context__``) and hand it to the plain modules beside this one:

- ``target``: which cluster a job means, and which estate files a job
  argument may name (``clusupgrade.estate_dirs`` in the minion's
  configuration);
- ``records``: the records a job returns, as the command line writes them;
- ``calls``: info, preflight, check and raise_level, firing each phase of a
  raise on the event bus;
- ``state``: ``clusupgrade.level_raised``.

Nothing here imports Salt: Salt is never a dependency of clusupgrade, and
these modules run (and are tested) without it.  Nothing here aborts a
call: a Salt job that stops waiting, or times out on the master, leaves
the cluster's call to run to its end (every phase answered TRUE).
"""
