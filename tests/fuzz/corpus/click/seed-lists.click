elementclass Split { [0] -> c :: Classifier(-, -) [0,1] => [0,1]output }
i :: Idle; a, b :: Discard;
i -> s :: Split [0,1] => a, b;
i -> x :: Counter ~> y :: Counter => [0] z :: Discard;
