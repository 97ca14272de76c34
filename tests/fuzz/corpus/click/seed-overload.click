elementclass X { $a, KW $b | input[0] -> Y($a, $b) -> [1]output || input -> output }
x :: X(1, KW 2); Idle -> x -> Discard; x[1] -> Discard
