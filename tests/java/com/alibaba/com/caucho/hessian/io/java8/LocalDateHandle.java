// A stand-in for Dubbo hessian-lite's LocalDateHandle (tests/test_hessian2_java.py has no hessian-lite jar): the
// same class name and fields, and a readResolve to the LocalDate. Its fields are declared in the reverse of
// hessian-lite's (year, month, day) because hessian-lite's serializers write a class's fields reversed and
// Caucho's, which the oracle runs, in declaration order: so Caucho writes them as hessian-lite does.
package com.alibaba.com.caucho.hessian.io.java8;

import java.io.Serializable;
import java.time.LocalDate;

public class LocalDateHandle implements Serializable {
    private int day;
    private int month;
    private int year;

    public LocalDateHandle() {}

    public LocalDateHandle(LocalDate date) {
        year = date.getYear();
        month = date.getMonthValue();
        day = date.getDayOfMonth();
    }

    private Object readResolve() {
        try {
            return LocalDate.of(year, month, day);
        } catch (RuntimeException e) {
            return null; // as hessian-lite's handle does
        }
    }
}
