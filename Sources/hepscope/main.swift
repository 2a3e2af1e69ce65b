print("hepscope")
