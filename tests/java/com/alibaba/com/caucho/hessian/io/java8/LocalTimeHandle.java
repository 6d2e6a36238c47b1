// A stand-in for Dubbo hessian-lite's LocalTimeHandle; fields reversed from hessian-lite's declaration (hour,
// minute, second, nano) so that Caucho writes them in hessian-lite's order (see LocalDateHandle.java).
package com.alibaba.com.caucho.hessian.io.java8;

import java.io.Serializable;
import java.time.LocalTime;

public class LocalTimeHandle implements Serializable {
    private int nano;
    private int second;
    private int minute;
    private int hour;

    public LocalTimeHandle() {}

    public LocalTimeHandle(LocalTime time) {
        hour = time.getHour();
        minute = time.getMinute();
        second = time.getSecond();
        nano = time.getNano();
    }

    private Object readResolve() {
        try {
            return LocalTime.of(hour, minute, second, nano);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
