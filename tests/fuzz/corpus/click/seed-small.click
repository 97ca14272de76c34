a :: A(1, "x,y", (b, c)) -> [1]b :: B -> output;
