print("lepton-bench")
