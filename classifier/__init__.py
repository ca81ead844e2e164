"""The text core: normalisation (text), jieba (segment), the category model (features, model,
calibration, artifact, evaluate), places (places), complexity rules (complexity), near-duplicates
(similarity), the default taxonomy and demo corpus (bootstrap), and the command-line functions (cli).

Pure: no database, no web, nothing imported from hotline, dispatch or realtime.
"""
